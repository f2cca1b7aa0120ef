// SPDX-License-Identifier: GPL-2.0-only
/*
 * esrun - `edgesteer run` for the benchmark while the edgesteer binary's
 * command table does not list run yet: the same daemon (cmd_run in
 * user/daemon.c), linked from build/libedgesteer.a by scripts/bench/proxy.sh.
 * Used only when `edgesteer run` is missing; never installed.
 *
 *   esrun run -c FILE
 */
#include "cmds.h"

int main(int argc, char **argv)
{
	return cmd_run(argc - 1, argv + 1);
}
