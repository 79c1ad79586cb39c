import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** Segment files: `<8-digit sequence>.jsonl` while open, `<sequence>.jsonl.gz` once closed. */
export interface SegmentFile {
  seq: number
  path: string
  closed: boolean
  bytes: number
  mtimeMs: number
}

const SEGMENT_RE = /^(\d{8})\.jsonl(\.gz)?$/

export function segmentName(seq: number, closed: boolean): string {
  return `${String(seq).padStart(8, '0')}.jsonl${closed ? '.gz' : ''}`
}

/** Segments in the folder, oldest first. A missing folder has none. */
export function listSegments(dir: string): SegmentFile[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  const out: SegmentFile[] = []
  for (const name of names) {
    const m = SEGMENT_RE.exec(name)
    if (!m) continue
    const path = join(dir, name)
    try {
      const st = statSync(path)
      out.push({ seq: Number(m[1]), path, closed: m[2] !== undefined, bytes: st.size, mtimeMs: st.mtimeMs })
    } catch {
      // deleted between readdir and stat (retention racing a reader)
    }
  }
  return out.sort((a, b) => a.seq - b.seq || Number(a.closed) - Number(b.closed))
}
