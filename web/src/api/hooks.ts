// One TanStack Query hook per API resource, keyed by the resolved time range so every panel of a
// page asks for the same window and refreshes together.
import { keepPreviousData, useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { api, type LogFilters, type RangeParams, type TraceFilters } from './client';

export function useServices(r: RangeParams) {
  return useQuery({ queryKey: ['services', r], queryFn: ({ signal }) => api.services(r, signal), placeholderData: keepPreviousData });
}
export function useOperations(service: string | undefined, r: RangeParams) {
  return useQuery({ queryKey: ['operations', service, r], queryFn: ({ signal }) => api.operations(service!, r, signal), enabled: !!service, placeholderData: keepPreviousData });
}
export function useSummary(r: RangeParams & { service?: string }) {
  return useQuery({ queryKey: ['summary', r], queryFn: ({ signal }) => api.summary(r, signal), placeholderData: keepPreviousData });
}
export function useTimeseries(r: RangeParams & { service?: string }, groupBy?: 'service') {
  return useQuery({ queryKey: ['timeseries', r, groupBy], queryFn: ({ signal }) => api.timeseries({ ...r, group_by: groupBy }, signal), placeholderData: keepPreviousData });
}
export function useTopFailing(r: RangeParams) {
  return useQuery({ queryKey: ['top-failing', r], queryFn: ({ signal }) => api.topFailing({ ...r, limit: 10 }, signal), placeholderData: keepPreviousData });
}
export function useLogHistogram(f: LogFilters, enabled = true) {
  return useQuery({ queryKey: ['histogram', f], queryFn: ({ signal }) => api.histogram(f, signal), placeholderData: keepPreviousData, enabled });
}
export function useLogPages(f: LogFilters, enabled = true) {
  return useInfiniteQuery({
    queryKey: ['logs', f],
    queryFn: ({ pageParam, signal }) => api.logs({ ...f, limit: 200, cursor: pageParam }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    enabled,
  });
}
export function usePatterns(r: RangeParams & { service?: string }, enabled = true) {
  return useQuery({ queryKey: ['patterns', r], queryFn: ({ signal }) => api.patterns({ ...r, limit: 200 }, signal), enabled, placeholderData: keepPreviousData });
}
export function useLogContext(id: number | null, before: number, after: number, by: 'service' | 'trace') {
  return useQuery({ queryKey: ['context', id, before, after, by], queryFn: ({ signal }) => api.logContext(id!, { before, after, by }, signal), enabled: id !== null, placeholderData: keepPreviousData });
}
export function useTraces(f: TraceFilters) {
  return useQuery({ queryKey: ['traces', f], queryFn: ({ signal }) => api.traces(f, signal), placeholderData: keepPreviousData });
}
export function useTrace(id: string | undefined) {
  return useQuery({ queryKey: ['trace', id], queryFn: ({ signal }) => api.trace(id!, signal), enabled: !!id, staleTime: 60_000 });
}
export function useSystem(refreshMs: number) {
  return useQuery({ queryKey: ['system'], queryFn: ({ signal }) => api.system(signal), refetchInterval: refreshMs || false });
}
