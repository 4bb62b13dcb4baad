import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
import { TopBar } from '@/components/Shell';
import { AppProvider } from '@/lib/app-context';
import './globals.css';
import './grounding.css';

export const metadata: Metadata = { title: 'Propos4l', description: 'Propostas comerciais e técnicas' };
export const viewport: Viewport = { width: 'device-width', initialScale: 1 };
// Read the gateway's address when the page is served, not when it is built, so one image fits every deployment.
export const dynamic = 'force-dynamic';

function gatewayUrl(): string {
  const environment = process.env;
  return environment['NEXT_PUBLIC_API_URL'] || environment['API_URL'] || 'http://127.0.0.1:8000';
}

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="pt-BR">
      <body>
        <AppProvider apiUrl={gatewayUrl()}>
          <TopBar />
          {children}
        </AppProvider>
      </body>
    </html>
  );
}
