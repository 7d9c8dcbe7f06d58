/** Codec names as an engineer writes them (the plan, the reports, instructions to the engineer). */
export function codecLabel(name: string | undefined): string {
  switch (name) {
    case 'PCMA':
      return 'G.711 A-law';
    case 'PCMU':
      return 'G.711 µ-law';
    case 'G722':
      return 'G.722';
    case 'G729':
      return 'G.729';
    case 'G723':
      return 'G.723.1';
    default:
      return name ?? 'none';
  }
}
