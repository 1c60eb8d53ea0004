/**
 * Reading a template from its TemplateURL. AWS reads an S3 object; the sandbox account never calls
 * another host, so it reads only URLs served on this machine (127.0.0.1, localhost, [::1]) over
 * HTTP(S). The callers word the outcome as CloudFormation does in their place: CreateStack answers
 * an API error, a nested stack (AWS::CloudFormation::Stack) fails its resource.
 */

const LOCAL_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];
const READ_TIMEOUT_MS = 5000;

export type TemplateUrlRead =
  | { kind: 'read'; body: string }
  /** Not an http(s) URL at all (`s3://…`, a relative path). */
  | { kind: 'unsupported' }
  /** A URL of another host: S3 in AWS, out of the sandbox's reach. */
  | { kind: 'remote'; host: string }
  /** A local URL that does not serve the template (not found, refused, timed out). */
  | { kind: 'unreadable'; detail: string };

export async function readTemplateUrl(url: string): Promise<TemplateUrlRead> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { kind: 'unsupported' };
  }
  if (!['http:', 'https:'].includes(parsed.protocol)) return { kind: 'unsupported' };
  if (!LOCAL_HOSTS.includes(parsed.hostname)) return { kind: 'remote', host: parsed.host };
  try {
    const response = await fetch(parsed, { signal: AbortSignal.timeout(READ_TIMEOUT_MS) });
    if (!response.ok) return { kind: 'unreadable', detail: `HTTP ${response.status}` };
    return { kind: 'read', body: await response.text() };
  } catch (error) {
    return { kind: 'unreadable', detail: error instanceof Error ? error.message : String(error) };
  }
}
