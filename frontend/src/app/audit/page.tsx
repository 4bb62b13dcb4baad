'use client';
import { AuditLog } from '@/components/AuditLog';
import { Shell } from '@/components/Shell';
import { useApp } from '@/lib/app-context';

export default function AuditPage() {
  const { t } = useApp();
  return (
    <Shell title={t('audit.title')}>
      <AuditLog />
    </Shell>
  );
}
