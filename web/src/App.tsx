// The shell every page shares: header with navigation, time picker, auto-refresh, zone and theme;
// pages are loaded on demand (one chunk each).
import { BulbFilled, BulbOutlined, MenuOutlined } from '@ant-design/icons';
import { App as AntApp, Button, ConfigProvider, Drawer, Layout, Menu, Segmented, Spin, theme as antdTheme } from 'antd';
import { useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useState } from 'react';
import { Link, Route, Routes, useLocation } from 'react-router';
import { api } from './api/client';
import { TimePicker } from './components/TimePicker';
import { ClockProvider, usePrefs, useRangeSearch } from './state/ui';

const pages = {
  dashboard: () => import('./features/dashboard/DashboardPage'),
  logs: () => import('./features/logs/LogsPage'),
  traces: () => import('./features/traces/TracesPage'),
  trace: () => import('./features/traces/TracePage'),
  settings: () => import('./features/settings/SettingsPage'),
};
const DashboardPage = lazy(pages.dashboard);
const LogsPage = lazy(pages.logs);
const TracesPage = lazy(pages.traces);
const TracePage = lazy(pages.trace);
const SettingsPage = lazy(pages.settings);

/**
 * A deep link to a trace starts fetching it while the page's code loads (no request waterfall),
 * and once the first page is up the other pages' code is fetched in the background so moving
 * between pages does not wait for the network.
 */
function usePrefetch() {
  const qc = useQueryClient();
  const { pathname } = useLocation();
  useEffect(() => {
    const m = /^\/traces\/([0-9a-f]{32})$/.exec(pathname);
    if (m) void qc.prefetchQuery({ queryKey: ['trace', m[1]], queryFn: ({ signal }) => api.trace(m[1], signal), staleTime: 60_000 });
  }, [pathname, qc]);
  useEffect(() => {
    const t = setTimeout(() => Object.values(pages).forEach((load) => void load()), 2000);
    return () => clearTimeout(t);
  }, []);
}

const NAV = [
  { key: '/', label: 'Dashboard' },
  { key: '/logs', label: 'Logs' },
  { key: '/traces', label: 'Traces' },
  { key: '/settings', label: 'Settings' },
];

function Nav({ mode, onClick }: { mode: 'horizontal' | 'inline'; onClick?: () => void }) {
  const { pathname } = useLocation();
  const search = useRangeSearch();
  const selected = NAV.filter((n) => (n.key === '/' ? pathname === '/' : pathname.startsWith(n.key))).map((n) => n.key);
  return (
    <Menu
      mode={mode}
      selectedKeys={selected}
      onClick={onClick}
      className="nav"
      disabledOverflow
      items={NAV.map((n) => ({ key: n.key, label: <Link to={search ? `${n.key}?${search}` : n.key}>{n.label}</Link> }))}
    />
  );
}

function Header() {
  const { theme, setTheme, zone, setZone } = usePrefs();
  const [drawer, setDrawer] = useState(false);
  return (
    <Layout.Header className="header">
      <div className="header-left">
        <Button className="nav-burger" type="text" icon={<MenuOutlined />} onClick={() => setDrawer(true)} aria-label="menu" />
        <Link to="/" className="brand">
          <span className="brand-dot" /> Argus
        </Link>
        <div className="nav-wide">
          <Nav mode="horizontal" />
        </div>
      </div>
      <div className="header-right">
        <TimePicker />
        <Segmented
          size="middle"
          aria-label="time zone"
          data-testid="zone-toggle"
          value={zone}
          onChange={(v) => setZone(v as 'local' | 'utc')}
          options={[
            { value: 'local', label: 'Local' },
            { value: 'utc', label: 'UTC' },
          ]}
        />
        <Button
          aria-label="toggle theme"
          data-testid="theme-toggle"
          icon={theme === 'dark' ? <BulbFilled /> : <BulbOutlined />}
          onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')}
        />
      </div>
      <Drawer open={drawer} onClose={() => setDrawer(false)} placement="left" size={240} title="Argus">
        <Nav mode="inline" onClick={() => setDrawer(false)} />
      </Drawer>
    </Layout.Header>
  );
}

function NotFound() {
  return (
    <div style={{ padding: 24 }}>
      This page does not exist. <Link to="/">Go to the dashboard</Link>.
    </div>
  );
}

export function App() {
  const { theme } = usePrefs();
  usePrefetch();
  return (
    <ConfigProvider theme={{ algorithm: theme === 'dark' ? antdTheme.darkAlgorithm : antdTheme.defaultAlgorithm, token: { borderRadius: 6 } }}>
      <AntApp>
        <ClockProvider>
          <Layout className="app">
            <Header />
            <Layout.Content className="content">
              <Suspense fallback={<Spin style={{ margin: 48 }} />}>
                <Routes>
                  <Route path="/" element={<DashboardPage />} />
                  <Route path="/logs" element={<LogsPage />} />
                  <Route path="/traces" element={<TracesPage />} />
                  <Route path="/traces/:traceId" element={<TracePage />} />
                  <Route path="/settings" element={<SettingsPage />} />
                  <Route path="*" element={<NotFound />} />
                </Routes>
              </Suspense>
            </Layout.Content>
          </Layout>
        </ClockProvider>
      </AntApp>
    </ConfigProvider>
  );
}
