import type { SimpleGitOptions } from 'simple-git';

type UnsafeFlags = NonNullable<SimpleGitOptions['unsafe']>;

/** An editor or pager is never wanted: reverts run with --no-edit and nothing reads a pager. */
const DROPPED = new Set(['editor', 'visual', 'pager', 'git_editor', 'git_sequence_editor', 'git_pager']);

/**
 * Git variables a host legitimately sets (an SSH key command for the remote, an isolated config)
 * and the simple-git guard each one trips. The guard protects against untrusted data; the host's
 * environment is trusted like the config file, so a variable that is present opens its own guard
 * and nothing more. Flag data never reaches git's environment or options.
 */
const HOST_VARIABLES: Record<string, keyof UnsafeFlags> = {
  git_ssh: 'allowUnsafeSshCommand',
  git_ssh_command: 'allowUnsafeSshCommand',
  git_askpass: 'allowUnsafeAskPass',
  ssh_askpass: 'allowUnsafeAskPass',
  git_config: 'allowUnsafeConfigPaths',
  git_config_global: 'allowUnsafeConfigPaths',
  git_config_system: 'allowUnsafeConfigPaths',
  prefix: 'allowUnsafeConfigPaths',
  git_config_count: 'allowUnsafeConfigEnvCount',
  git_config_parameters: 'allowUnsafeConfigEnvCount',
  git_proxy_command: 'allowUnsafeGitProxy',
  git_exec_path: 'allowUnsafeExec',
  git_template_dir: 'allowUnsafeTemplateDir',
  git_external_diff: 'allowUnsafeDiffExternal',
};

/** Who the commits the machine makes are by (backups, the sample checkout): the same on every host. */
export const SUPERVISOR_IDENTITY = {
  GIT_AUTHOR_NAME: 'temporal-supervisor',
  GIT_AUTHOR_EMAIL: 'supervisor@localhost',
  GIT_COMMITTER_NAME: 'temporal-supervisor',
  GIT_COMMITTER_EMAIL: 'supervisor@localhost',
};

export interface GitEnvironment {
  env: Record<string, string>;
  /**
   * simple-git strips inherited GIT_* variables and rejects explicit ones unless named here; the
   * host's own (GIT_SSH_COMMAND for the remote, say) must survive, so every variable passed is named.
   */
  allowEnvironment: string[];
  unsafe: UnsafeFlags;
}

/** The environment git runs with, and the simple-git guards that environment needs opened. */
export function gitEnvironment(source: NodeJS.ProcessEnv = process.env): GitEnvironment {
  const env: Record<string, string> = {};
  const unsafe: Record<string, boolean> = {};
  for (const [key, value] of Object.entries(source)) {
    const lower = key.toLowerCase();
    if (value === undefined || DROPPED.has(lower)) continue;
    env[key] = value;
    const flag = HOST_VARIABLES[lower];
    if (flag !== undefined) unsafe[flag] = true;
  }
  // A credential prompt would wait for ever on a host nobody watches.
  env.GIT_TERMINAL_PROMPT = '0';
  return { env, allowEnvironment: Object.keys(env), unsafe: unsafe as UnsafeFlags };
}
