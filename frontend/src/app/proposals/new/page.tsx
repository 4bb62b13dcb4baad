'use client';
import { ProposalForm } from '@/components/ProposalForm';
import { Shell } from '@/components/Shell';
import { useApp } from '@/lib/app-context';

export default function NewProposalPage() {
  const { t } = useApp();
  return (
    <Shell title={t('form.title')}>
      <ProposalForm />
    </Shell>
  );
}
