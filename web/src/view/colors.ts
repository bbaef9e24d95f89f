/** Stable colours: the same message type or term always gets the same hue. */
export function hueOf(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (hash * 31 + text.charCodeAt(i)) >>> 0;
  return hash % 360;
}

export function messageColor(label: string): string {
  return `hsl(${hueOf(label)}, 70%, 45%)`;
}

export function epochColor(epoch: number | undefined): string {
  if (epoch === undefined) return '#9aa5b1';
  return `hsl(${(epoch * 67) % 360}, 55%, 60%)`;
}

/** Roles by what they mean, whatever each protocol calls them. */
export function roleColor(role: string, status: string): string {
  if (status === 'crashed') return '#c7ccd1';
  const lower = role.toLowerCase();
  if (/leader|primary|holder|coordinator/.test(lower)) return '#f2c14e';
  if (/candidate|precandidate|proposer/.test(lower) && !/acceptor/.test(lower)) return '#f78154';
  return '#7fb7e6';
}
