'use client';
import { ApiTokens } from '@/components/ApiTokens';
import { Shell } from '@/components/Shell';
import { useApp } from '@/lib/app-context';

export default function TokensPage() {
  const { t } = useApp();
  return (
    <Shell title={t('tokens.title')}>
      <ApiTokens />
    </Shell>
  );
}
