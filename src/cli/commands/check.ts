// sky check [INFRA...]: which infra is usable and why not; remembered for the optimizer.
import { defineCommand } from 'citty'
import { check } from '../../api/ops/infra'
import { renderCheck } from '../../core/infra/render-check'
import { outputArg, outputFormat, positionals, verboseArg } from '../args'
import { finish } from '../client'
import { out, printJson } from '../output'
import { DESCRIPTIONS } from './descriptions'

export default defineCommand({
  meta: { name: 'check', description: DESCRIPTIONS.check },
  args: {
    infra: { type: 'positional', required: false, description: 'Only these infra: local, ssh, kubernetes, aws, gcp.' },
    ...verboseArg,
    ...outputArg,
  },
  async run({ args }) {
    const fmt = outputFormat(args.output)
    const names = positionals(args)
    const checks = (await finish(await check({ infra: names.length ? names : undefined }))) ?? []
    if (fmt === 'json') printJson(checks)
    else out(renderCheck(checks, { color: process.stdout.isTTY === true && !process.env.NO_COLOR, verbose: !!args.verbose }))
  },
})
