'use client';
import { Shell } from '@/components/Shell';
import { Webhooks } from '@/components/Webhooks';
import { useApp } from '@/lib/app-context';

export default function WebhooksPage() {
  const { t } = useApp();
  return (
    <Shell title={t('webhooks.title')}>
      <Webhooks />
    </Shell>
  );
}
