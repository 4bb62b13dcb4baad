'use client';
import { ApprovalRules } from '@/components/ApprovalRules';
import { Shell } from '@/components/Shell';
import { useApp } from '@/lib/app-context';

export default function ApprovalRulesPage() {
  const { t } = useApp();
  return (
    <Shell title={t('rules.title')}>
      <ApprovalRules />
    </Shell>
  );
}
