/** resource_key of rows that hold every resource together. */
export const ALL_RESOURCES = '*';

/** Splits a resource_key (`vm/vm-42`, '' without a resource): resourceType never holds '/', so the first one splits. */
export function splitResourceKey(key: string): { resourceType: string | null; resourceId: string | null } {
  if (key === '' || key === ALL_RESOURCES) return { resourceType: null, resourceId: null };
  const i = key.indexOf('/');
  return { resourceType: key.slice(0, i), resourceId: key.slice(i + 1) };
}
