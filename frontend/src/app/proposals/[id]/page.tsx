'use client';
import { ProposalView } from '@/components/ProposalView';

export default function ProposalPage({ params }: { params: { id: string } }) {
  return <ProposalView id={params.id} />;
}
