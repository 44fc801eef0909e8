// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "arch.h"
#include "compat32.h"

#define BASE	0x08048000u
#define CODE	COMPAT_EXIT0_CODE

/* The architecture's 32-bit program that only calls exit(0): one segment. */
static const struct {
	Elf32_Ehdr ehdr;
	Elf32_Phdr phdr;
	unsigned char code[sizeof((unsigned char[])CODE)];
} __attribute__((packed)) exit0 = {
	.ehdr = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS32,
			     ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_EXEC,
		.e_machine = COMPAT_ELF_MACHINE,
		.e_version = EV_CURRENT,
		.e_entry = BASE + sizeof(Elf32_Ehdr) + sizeof(Elf32_Phdr),
		.e_phoff = sizeof(Elf32_Ehdr),
		.e_flags = COMPAT_ELF_FLAGS,
		.e_ehsize = sizeof(Elf32_Ehdr),
		.e_phentsize = sizeof(Elf32_Phdr),
		.e_phnum = 1,
	},
	.phdr = {
		.p_type = PT_LOAD,
		.p_vaddr = BASE,
		.p_paddr = BASE,
		.p_filesz = sizeof(exit0),
		.p_memsz = sizeof(exit0),
		.p_flags = PF_R | PF_X,
		.p_align = 0x1000,
	},
	.code = CODE,
};

/* The child: the program's errno on the pipe if the kernel refuses it. */
static void try_exec(int prog, int err_fd)
{
	char *const argv[] = { "shmtrace-compat", NULL };
	char *const envp[] = { NULL };
	int err;

	execveat(prog, "", argv, envp, AT_EMPTY_PATH);
	err = errno;
	if (write(err_fd, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

bool kernel_runs_32bit(void)
{
	int prog = memfd_create("shmtrace-compat", MFD_CLOEXEC);
	int pipefd[2], err = 0;
	ssize_t n = -1;
	pid_t pid;

	if (prog < 0)
		return true;	/* cannot tell: assume it can */
	if (write(prog, &exit0, sizeof(exit0)) != sizeof(exit0) ||
	    pipe2(pipefd, O_CLOEXEC)) {
		close(prog);
		return true;
	}
	pid = fork();
	if (pid == 0)
		try_exec(prog, pipefd[1]);
	close(pipefd[1]);
	if (pid > 0) {
		do
			n = read(pipefd[0], &err, sizeof(err));
		while (n < 0 && errno == EINTR);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	close(pipefd[0]);
	close(prog);
	/* End of file: the exec went through and closed the pipe. */
	return !(n == sizeof(err) && err == ENOEXEC);
}
