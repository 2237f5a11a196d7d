// `workdir: {url, ref}`: the workdir is a git repository, cloned into ~/sky_workdir on every node
// (fetched again when it is already there), then checked out at `ref` (branch, tag or commit;
// default branch when absent). As in SkyPilot, GIT_TOKEN (https) or GIT_SSH_KEY_PATH (ssh) from
// the task's envs/secrets authenticate private repositories; the token is passed per command and
// never written into the clone's config.
import { ProvisionError } from '../errors'
import type { ClusterHandle, Provisioner } from '../provision/types'
import type { GitWorkdir, Task } from '../task/types'

const SCRIPT = `set -e
command -v git >/dev/null 2>&1 || { echo "git is not installed on this node; install it (e.g. in the image) or use a local workdir" >&2; exit 127; }
dir="$HOME/sky_workdir"
auth=()
if [ -n "$GIT_TOKEN" ]; then auth=(-c "http.extraHeader=Authorization: Basic $(printf 'x-access-token:%s' "$GIT_TOKEN" | base64 | tr -d '\\n')"); fi
if [ -n "$GIT_SSH_KEY_PATH" ]; then export GIT_SSH_COMMAND="ssh -i $GIT_SSH_KEY_PATH -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new"; fi
if [ -d "$dir/.git" ] && [ "$(git -C "$dir" config --get remote.origin.url)" = "$SKY_GIT_URL" ]; then
  git "\${auth[@]}" -C "$dir" fetch --quiet --tags origin
else
  rm -rf "$dir"
  git "\${auth[@]}" clone --quiet "$SKY_GIT_URL" "$dir"
fi
cd "$dir"
if [ -n "$SKY_GIT_REF" ]; then
  if git rev-parse --verify --quiet "origin/$SKY_GIT_REF" >/dev/null; then git checkout --quiet --force -B "$SKY_GIT_REF" "origin/$SKY_GIT_REF"
  elif git rev-parse --verify --quiet "$SKY_GIT_REF^{commit}" >/dev/null; then git checkout --quiet --force --detach "$SKY_GIT_REF"
  else git "\${auth[@]}" fetch --quiet origin "$SKY_GIT_REF" && git checkout --quiet --force --detach FETCH_HEAD
  fi
else
  head=$(git symbolic-ref --quiet --short refs/remotes/origin/HEAD 2>/dev/null || true)
  [ -n "$head" ] && git checkout --quiet --force -B "\${head#origin/}" "$head"
fi
git rev-parse --short HEAD
`

/** Clone or update the git workdir on every node; logs the commit each node has. */
export async function syncGitWorkdir(p: Provisioner, handle: ClusterHandle, task: Task, w: GitWorkdir, log: (l: string) => void): Promise<void> {
  const vars = { ...task.envs, ...task.secrets }
  const env: Record<string, string> = { SKY_GIT_URL: w.url, SKY_GIT_REF: w.ref ?? '' }
  for (const k of ['GIT_TOKEN', 'GIT_SSH_KEY_PATH']) if (vars[k]) env[k] = vars[k]!
  log(`⚙︎ Syncing workdir from git: ${w.url}${w.ref ? ` @ ${w.ref}` : ''}`)
  const commits = await Promise.all(
    handle.nodes.map(async (_, rank) => {
      const r = p.runner(handle, rank)
      try {
        const res = await r.run(SCRIPT, { env })
        if (res.code !== 0) {
          const why = (res.stderr || res.stdout).trim().split('\n').slice(-5).join('\n')
          throw new ProvisionError(`Could not clone ${w.url}${w.ref ? ` at ${w.ref}` : ''} on node ${rank}: ${why}`, {
            hint: 'Check workdir.url and workdir.ref (or --git-url/--git-ref); private repositories need GIT_TOKEN or GIT_SSH_KEY_PATH in envs or secrets.',
          })
        }
        return res.stdout.trim().split('\n').pop() ?? ''
      } finally {
        await r.close()
      }
    }),
  )
  log(`└── Workdir at commit ${[...new Set(commits)].join(', ')}.`)
}
