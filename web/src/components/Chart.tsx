// A Highcharts chart that follows the UI's zone and theme, so its axes read like the tables
// ("HH:mm", "DD-MMM"). Options are plain Highcharts options; the chart is updated in place.
//   <Chart options={{ series: [...] }} height={220} />

import Highcharts from 'highcharts';
import { useEffect, useRef } from 'react';
import { chartTimezone } from '../lib/time';
import { usePrefs } from '../state/ui';

export type ChartOptions = Highcharts.Options;
export { Highcharts };

const DATE_FORMATS = {
  millisecond: '%H:%M:%S.%L',
  second: '%H:%M:%S',
  minute: '%H:%M',
  hour: '%H:%M',
  day: '%d-%b',
  week: '%d-%b',
  month: '%b %Y',
  year: '%Y',
};

export const SEVERITY_COLORS: Record<string, string> = {
  FATAL: '#a8071a',
  ERROR: '#f5222d',
  WARN: '#faad14',
  INFO: '#1677ff',
  DEBUG: '#8c8c8c',
  TRACE: '#bfbfbf',
  UNSPECIFIED: '#d9d9d9',
};

function base(dark: boolean, zone: 'local' | 'utc'): Highcharts.Options {
  const text = dark ? '#d9d9d9' : '#434343';
  const grid = dark ? '#303030' : '#f0f0f0';
  return {
    chart: { backgroundColor: 'transparent', style: { fontFamily: 'inherit' }, spacing: [8, 4, 4, 4] },
    time: { timezone: chartTimezone(zone) },
    title: { text: undefined },
    credits: { enabled: false },
    accessibility: { enabled: false },
    legend: { itemStyle: { color: text, fontWeight: 'normal' }, itemHoverStyle: { color: dark ? '#fff' : '#000' } },
    xAxis: { type: 'datetime', dateTimeLabelFormats: DATE_FORMATS, labels: { style: { color: text } }, lineColor: grid, tickColor: grid },
    yAxis: { title: { text: undefined }, gridLineColor: grid, labels: { style: { color: text } } },
    tooltip: { xDateFormat: '%H:%M %d-%b', shared: true },
    plotOptions: { series: { animation: false }, line: { marker: { radius: 2 } } },
  };
}

export function Chart({ options, height = 220, testId }: { options: ChartOptions; height?: number; testId?: string }) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<Highcharts.Chart | null>(null);
  const { theme, zone } = usePrefs();
  useEffect(() => {
    if (!el.current) return;
    const merged = Highcharts.merge(base(theme === 'dark', zone), { chart: { height } }, options);
    if (chart.current) chart.current.destroy();
    chart.current = Highcharts.chart(el.current, merged);
  }, [options, theme, zone, height]);
  useEffect(
    () => () => {
      chart.current?.destroy();
      chart.current = null;
    },
    [],
  );
  return <div ref={el} style={{ height, minWidth: 0 }} data-testid={testId} />;
}
