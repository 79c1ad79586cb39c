import { type FSWatcher, watch } from 'node:fs'

/**
 * Calls back once a burst of changes in a folder has settled. Editors save in several steps (write a
 * temp file, rename, touch), so changes are debounced and the folder is re-read as a whole.
 */
export class FolderWatcher {
  private watcher: FSWatcher | null = null
  private timer: NodeJS.Timeout | null = null

  constructor(
    private readonly dir: string,
    private readonly debounceMs: number,
    private readonly onSettled: () => void,
    private readonly onError: (err: Error) => void = () => {},
  ) {}

  start(): void {
    this.watcher = watch(this.dir, { persistent: false }, () => this.schedule())
    this.watcher.on('error', (err) => this.onError(err))
  }

  stop(): void {
    this.watcher?.close()
    this.watcher = null
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timer = null
      this.onSettled()
    }, this.debounceMs)
  }
}
