'use client';
import { Shell } from '@/components/Shell';
import { Templates } from '@/components/Templates';
import { useApp } from '@/lib/app-context';

export default function TemplatesPage() {
  const { t } = useApp();
  return (
    <Shell title={t('templates.title')}>
      <Templates />
    </Shell>
  );
}
