'use client';
import { ProposalsList } from '@/components/ProposalsList';
import { Shell } from '@/components/Shell';
import { useApp } from '@/lib/app-context';
import Link from 'next/link';

export default function ProposalsPage() {
  const { t } = useApp();
  return (
    <Shell title={t('list.title')} actions={<Link className="button" href="/proposals/new">{t('nav.new')}</Link>}>
      <ProposalsList />
    </Shell>
  );
}
