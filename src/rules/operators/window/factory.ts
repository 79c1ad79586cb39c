import { AlignedWindower } from './aligned.js'
import type { Windower, WindowOutput, WindowPlan } from './base.js'
import { CountWindower } from './count.js'
import { SessionWindower } from './session.js'
import { SlidingWindower } from './sliding.js'

export type { Windower, WindowOutput, WindowPlan, WindowResult } from './base.js'

export function createWindower(plan: WindowPlan, out: WindowOutput): Windower {
  switch (plan.kind) {
    case 'tumbling':
    case 'hopping':
      return new AlignedWindower(plan, out)
    case 'session':
      return new SessionWindower(plan, out)
    case 'sliding':
      return new SlidingWindower(plan, out)
    case 'count':
      return new CountWindower(plan, out)
  }
}
