'use client';
import { Shell } from '@/components/Shell';
import { SystemStatus } from '@/components/SystemStatus';
import { useApp } from '@/lib/app-context';

export default function SystemPage() {
  const { t } = useApp();
  return (
    <Shell title={t('system.title')}>
      <SystemStatus />
    </Shell>
  );
}
