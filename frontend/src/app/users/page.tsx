'use client';
import { Shell } from '@/components/Shell';
import { Users } from '@/components/Users';
import { useApp } from '@/lib/app-context';

export default function UsersPage() {
  const { t } = useApp();
  return (
    <Shell title={t('users.title')}>
      <Users />
    </Shell>
  );
}
