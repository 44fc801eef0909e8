// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* src/btfcache.c: the raw BTF walk, libbpf's parse, the cache's hash. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <bpf/btf.h>
#include "btfcache.h"
#include "unit.h"

/*
 * A kind the walk does not know (a newer kernel's) before the wrappers:
 * the walk refuses the file, where it used to stop there and read every
 * later function as absent, which moved shmtrace to another mode.
 */
static void test_btf_unknown_kind(void)
{
	struct kfunc funcs[] = { { .name = "__x64_sys_shmget" } };
	struct btf *btf = btf__new_empty();
	const struct btf_header *h;
	struct btf_type *t;
	const void *raw;
	uint32_t len;
	struct tcase tc;
	int i = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);

	int func;

	btf__add_float(btf, "f", 4);
	func = btf__add_func(btf, "__x64_sys_shmget", BTF_FUNC_GLOBAL,
			     btf__add_func_proto(btf, i));
	raw = btf__raw_data(btf, &len);
	{
		char copy[len];

		memcpy(copy, raw, len);
		h = (const void *)copy;
		/* The float, after the int's 16 bytes, becomes kind 31. */
		t = (void *)(copy + h->hdr_len + h->type_off + 16);
		t->info = (t->info & ~(0x1fu << 24)) | 31u << 24;
		tc_begin(&tc, "kbtf_lookup_raw: an unknown kind before the wrappers refuses the file");
		expect_u64(&tc, (uint64_t)-EPROTO,
			   (uint64_t)(int64_t)kbtf_lookup_raw(copy, len, funcs, 1));
		tc_end(&tc);
		tc_begin(&tc, "kbtf_lookup_raw: the same BTF without it finds the wrapper");
		expect_u64(&tc, 0, kbtf_lookup_raw(raw, len, funcs, 1));
		expect_u64(&tc, func, funcs[0].id);
		tc_end(&tc);
	}
	btf__free(btf);
}

/*
 * The raw BTF walk against libbpf's own writer: a function whose argument
 * is a struct pointer through a typedef and const, one whose argument is
 * a pointer to a forward declaration (5.10), one with no argument, and
 * one that is absent; every kind of record on the way.
 */
static void test_btf_lookup(void)
{
	struct kfunc funcs[] = {
		{ .name = "with_struct" }, { .name = "with_fwd" },
		{ .name = "no_args" }, { .name = "absent" },
	};
	struct btf *btf = btf__new_empty();
	int i, regs, fwd, ptr, cptr, tdef, proto_s, proto_f, proto_0, ids[3];
	const void *raw;
	uint32_t len;
	struct tcase tc;

	i = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	regs = btf__add_struct(btf, "pt_regs", 8);
	btf__add_field(btf, "di", i, 0, 0);
	btf__add_enum(btf, "e", 4);
	btf__add_enum_value(btf, "E1", 1);
	btf__add_array(btf, i, i, 4);
	fwd = btf__add_fwd(btf, "pt_regs_fwd", BTF_FWD_STRUCT);
	ptr = btf__add_ptr(btf, regs);
	cptr = btf__add_const(btf, ptr);
	tdef = btf__add_typedef(btf, "regs_t", cptr);
	proto_s = btf__add_func_proto(btf, i);
	btf__add_func_param(btf, "regs", tdef);
	proto_f = btf__add_func_proto(btf, i);
	btf__add_func_param(btf, "regs", btf__add_ptr(btf, fwd));
	proto_0 = btf__add_func_proto(btf, i);
	ids[0] = btf__add_func(btf, "with_struct", BTF_FUNC_GLOBAL, proto_s);
	ids[1] = btf__add_func(btf, "with_fwd", BTF_FUNC_GLOBAL, proto_f);
	ids[2] = btf__add_func(btf, "no_args", BTF_FUNC_GLOBAL, proto_0);
	btf__add_var(btf, "v", BTF_VAR_GLOBAL_ALLOCATED, i);
	raw = btf__raw_data(btf, &len);
	tc_begin(&tc, "kbtf_lookup_raw: the walk succeeds");
	expect_u64(&tc, 0, kbtf_lookup_raw(raw, len, funcs, ARRAY_SIZE(funcs)));
	tc_end(&tc);
	for (i = 0; i < 3; i++) {
		tc_begin(&tc, "kbtf_lookup_raw: %s", funcs[i].name);
		expect_u64(&tc, ids[i], funcs[i].id);
		expect_u64(&tc, i == 0, funcs[i].struct_arg);
		tc_end(&tc);
	}
	tc_begin(&tc, "kbtf_lookup_raw: absent");
	expect_u64(&tc, (uint64_t)-1, (uint64_t)(int64_t)funcs[3].id);
	tc_end(&tc);
	{
		struct kfunc again[ARRAY_SIZE(funcs)];

		memcpy(again, funcs, sizeof(again));
		tc_begin(&tc, "kbtf_lookup_btf: libbpf's parse gives the walk's answers");
		expect_u64(&tc, 0, kbtf_lookup_btf(btf, again, ARRAY_SIZE(again)));
		expect_u64(&tc, 0, memcmp(again, funcs, sizeof(again)));
		tc_end(&tc);
	}
	tc_begin(&tc, "kbtf_lookup_raw: a truncated BTF is refused");
	expect_u64(&tc, 1, kbtf_lookup_raw(raw, len - 1, funcs, 1) < 0);
	tc_end(&tc);
	tc_begin(&tc, "kbtf_lookup_raw: strings that do not end in NUL are refused");
	{
		char copy[len];

		memcpy(copy, raw, len);
		copy[len - 1] = 'x';
		expect_u64(&tc, 1, kbtf_lookup_raw(copy, len, funcs, 1) < 0);
	}
	tc_end(&tc);
	btf__free(btf);
}

/* The cache's key: what it reads in pieces hashes as the whole. */
static void test_hash_bytes(void)
{
	struct tcase tc;

	tc_begin(&tc, "hash_bytes: streaming in 8-byte multiples is one hash");
	expect_u64(&tc, hash_bytes(hash_bytes(7, "0123456789abcdef", 8), "89abcdefXYZ", 11),
		   hash_bytes(7, "0123456789abcdefXYZ", 8 + 11));
	tc_end(&tc);
}

void test_btfcache(void)
{
	test_btf_lookup();
	test_btf_unknown_kind();
	test_hash_bytes();
}
