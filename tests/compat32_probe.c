// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Prints what shmtrace's kernel_runs_32bit() answers: "runs-32bit yes|no". */
#include <stdio.h>
#include "compat32.h"

int main(void)
{
	printf("runs-32bit %s\n", kernel_runs_32bit() ? "yes" : "no");
	return 0;
}
