// Queries batched per region: `sky status -r` over many clusters asks the cloud once per region
// (every instance this server made there), not once per cluster. A listing is shared by the
// queries that arrive while it is in flight and for a short while after; anything this process
// changes in a region (create, start, stop, terminate) drops that region's listing.
import type { CloudVmDriver, VmInstance } from './driver'

const FRESH_MS = 1000

interface Entry {
  at: number
  list: Promise<VmInstance[]>
}

export class RegionSnapshots {
  private entries = new Map<string, Entry>()

  constructor(private readonly driver: CloudVmDriver) {}

  /** Every instance of this server in `region`, from a listing at most FRESH_MS old. */
  async get(region: string): Promise<VmInstance[]> {
    const now = Date.now()
    let e = this.entries.get(region)
    if (!e || now - e.at > FRESH_MS) {
      const list = this.driver.list(region, null)
      e = { at: now, list }
      this.entries.set(region, e)
      list.catch(() => {
        if (this.entries.get(region)?.list === list) this.entries.delete(region)
      })
      // A listing counts from when it came back, so a slow one is not stale at birth.
      void list.then(() => {
        if (this.entries.get(region)?.list === list) e!.at = Date.now()
      }, () => {})
    }
    return e.list
  }

  invalidate(region: string): void {
    this.entries.delete(region)
  }
}
