import { type FSWatcher, watch } from 'node:fs'
import { basename, dirname } from 'node:path'

/**
 * Calls `onChange` (debounced) when `file` changes. Watches the folder, not the file: editors save by
 * writing a new file and renaming it over the old one, which a watch on the old inode would miss.
 * Returns a function that stops watching; a folder that cannot be watched is reported once via onError.
 */
export function watchFile(
  file: string,
  onChange: () => void,
  onError: (err: Error) => void,
  debounceMs = 200,
): () => void {
  let timer: NodeJS.Timeout | null = null
  let watcher: FSWatcher | null = null
  const name = basename(file)
  try {
    watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
      if (changed !== null && changed !== name) return
      if (timer) clearTimeout(timer)
      timer = setTimeout(() => {
        timer = null
        onChange()
      }, debounceMs)
    })
    watcher.on('error', onError)
  } catch (err) {
    onError(err as Error)
  }
  return () => {
    if (timer) clearTimeout(timer)
    watcher?.close()
  }
}
