'use client';
import { AcceptInvitation } from '@/components/AcceptInvitation';

export default function InvitePage() {
  return (
    <main id="main" className="container" tabIndex={-1}>
      <AcceptInvitation />
    </main>
  );
}
