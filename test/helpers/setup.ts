/**
 * Loaded by mocha before any test file (`require` in .mocharc*.json). crt's default control plane is
 * `auto`: the real one wherever its binaries are installed, as they are on CI. The suites that are about
 * the control plane name theirs (controlPlanes(), `--control-plane`, `cluster.local.controlPlane`, or
 * CRT_CONTROL_PLANE='' for the default itself); every other test runs on the builtin one, whose start
 * takes 0.05 s instead of 20, unless CRT_CONTROL_PLANE is already set to run them all on another.
 */
process.env.CRT_CONTROL_PLANE ??= 'builtin';
