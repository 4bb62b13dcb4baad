'use client';
import { Library } from '@/components/library/Library';
import { Shell } from '@/components/Shell';
import { useApp } from '@/lib/app-context';

export default function LibraryPage() {
  const { t } = useApp();
  return (
    <Shell title={t('library.title')}>
      <Library />
    </Shell>
  );
}
