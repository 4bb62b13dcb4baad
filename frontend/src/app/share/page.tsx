'use client';
import { SharePage } from '@/components/SharePage';

/** The client's page of a sent proposal: no account, no app navigation (the link's token is after '#'). */
export default function ShareRoute() {
  return <SharePage />;
}
