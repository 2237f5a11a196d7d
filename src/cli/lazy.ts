// A subcommand loaded only when it runs or when help lists it.
export const lazy = (load: () => Promise<{ default: unknown }>) => () => load().then((m) => m.default as never)
