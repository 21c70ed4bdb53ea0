/* Unit tests for harness/anatomy: matching handler messages to the vCPU's
 * accesses, the pending and resumed-first cases, what stays unmatched.
 * Clock ticks are ns here (fb_clock is not calibrated), so the parts can be
 * checked exactly. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "anatomy.h"

struct fixture {
	struct anatomy a;
	struct anat_vcpu v;
	uint32_t tid;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(anatomy_init(&f->a, 3), 0);
	/* this thread plays vCPU 1 */
	anatomy_register_vcpu(&f->a, 1);
	f->tid = (uint32_t)gettid();
	for (unsigned k = 0; k < ANAT_PARTS; k++) {
		f->v.part[k] = malloc(sizeof(struct hist));
		assert_non_null(f->v.part[k]);
		hist_init(f->v.part[k]);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	for (unsigned k = 0; k < ANAT_PARTS; k++)
		free(f->v.part[k]);
	anatomy_free(&f->a);
	free(f);
	return 0;
}

/* A handler's message for `page`: read at t_msg, resolved at t_res (0: not yet). */
static struct anat_ticket msg(struct fixture *f, uint64_t page, uint64_t t_msg, uint64_t t_res)
{
	struct anat_ticket t = anatomy_msg(&f->a, f->tid, page, t_msg);

	if (t_res)
		anatomy_resolved(t, t_res);
	return t;
}

static void touch(struct fixture *f, uint64_t page, uint64_t prev, uint64_t now)
{
	anatomy_after_touch(&f->a.mb[1], &f->v, page, prev, now);
}

static void parts(struct fixture *f, uint64_t d, uint64_t s, uint64_t w)
{
	assert_int_equal(f->v.part[ANAT_DELIVERY]->max_ns, d);
	assert_int_equal(f->v.part[ANAT_SERVICE]->max_ns, s);
	assert_int_equal(f->v.part[ANAT_WAKE]->max_ns, w);
}

static void test_round_trip(void **state)
{
	struct fixture *f = *state;

	msg(f, 7, 1050, 1080);
	touch(f, 7, 1000, 1100);
	assert_int_equal(f->v.matched, 1);
	assert_int_equal(f->v.resumed_first, 0);
	parts(f, 50, 30, 20);
	/* the three parts are the first-touch latency */
	assert_int_equal(f->v.part[ANAT_DELIVERY]->sum_ns + f->v.part[ANAT_SERVICE]->sum_ns +
				 f->v.part[ANAT_WAKE]->sum_ns,
			 1100 - 1000);
	/* the mailbox of vCPU 1 only */
	assert_int_equal(atomic_load(&f->a.mb[0].posted), 0);
	assert_int_equal(atomic_load(&f->a.mb[2].posted), 0);
}

static void test_kernel_fill_is_unmatched(void **state)
{
	struct fixture *f = *state;

	msg(f, 7, 1050, 1080);
	touch(f, 7, 1000, 1100);
	/* no message: nothing moves, nothing is counted */
	touch(f, 8, 1100, 1200);
	touch(f, 9, 1200, 1300);
	assert_int_equal(f->v.matched, 1);
	assert_int_equal(f->v.part[ANAT_WAKE]->count, 1);
}

static void test_not_a_vcpu(void **state)
{
	struct fixture *f = *state;
	struct anat_ticket t = anatomy_msg(&f->a, f->tid + 1, 7, 1050);

	assert_null(t.mb);
	anatomy_resolved(t, 1080);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(atomic_load(&f->a.mb[i].posted), 0);
}

static void test_resumed_before_the_resolve_returned(void **state)
{
	struct fixture *f = *state;

	/* same CPU: the vCPU ran (t_now 1100) before the handler's ioctl
	 * returned (1500); the handler writes t_res only later */
	struct anat_ticket t = msg(f, 7, 1050, 0);

	touch(f, 7, 1000, 1100);
	assert_int_equal(f->v.matched, 0);
	touch(f, 8, 1100, 1200); /* kernel-filled: no message */
	anatomy_resolved(t, 1500);
	msg(f, 9, 1250, 1280);
	touch(f, 9, 1200, 1300);
	assert_int_equal(f->v.matched, 2);
	assert_int_equal(f->v.resumed_first, 1);
	/* page 7: delivery 50, service to t_now 50, wake 0 */
	assert_int_equal(f->v.part[ANAT_WAKE]->min_ns, 0);
	assert_int_equal(f->v.part[ANAT_SERVICE]->sum_ns, 50 + 30);
	assert_int_equal(f->v.part[ANAT_DELIVERY]->sum_ns, 50 + 50);
}

static void test_pending_settled_after_the_run(void **state)
{
	struct fixture *f = *state;
	struct anat_ticket t = msg(f, 7, 1050, 0);

	touch(f, 7, 1000, 1100);
	anatomy_resolved(t, 1090);
	assert_int_equal(f->v.matched, 0);
	anatomy_finish(&f->a.mb[1], &f->v);
	assert_int_equal(f->v.matched, 1);
	assert_int_equal(f->v.resumed_first, 0);
	parts(f, 50, 40, 10);
}

static void test_stale_message_does_not_match(void **state)
{
	struct fixture *f = *state;

	/* a message read before this access began belongs to an earlier one */
	msg(f, 7, 900, 950);
	touch(f, 7, 1000, 1100);
	assert_int_equal(f->v.matched, 0);
	anatomy_finish(&f->a.mb[1], &f->v);
	assert_int_equal(f->v.matched, 0);
	/* nor does a message for another page */
	msg(f, 3, 1150, 1160);
	touch(f, 4, 1100, 1200);
	anatomy_finish(&f->a.mb[1], &f->v);
	assert_int_equal(f->v.matched, 0);
}

static void test_other_vcpus_messages(void **state)
{
	struct fixture *f = *state;

	/* one read() brought vCPU 2's fault and then ours: the same t_msg, and
	 * ours waited behind the other's resolve, which is our service */
	anatomy_post(&f->a, 2, 7, 1050, 1120);
	msg(f, 8, 1050, 1180);
	touch(f, 8, 1000, 1200);
	assert_int_equal(f->v.matched, 1);
	parts(f, 50, 130, 20);
	/* vCPU 2's message never matches our access to its page */
	touch(f, 7, 1000, 1200);
	anatomy_finish(&f->a.mb[1], &f->v);
	assert_int_equal(f->v.matched, 1);
}

static void test_four_pending_fifth_pushes_out(void **state)
{
	struct fixture *f = *state;
	struct anat_ticket t[5];

	for (unsigned i = 0; i < 5; i++) {
		t[i] = msg(f, 10 + i, 1000 * (i + 1) + 50, 0);
		touch(f, 10 + i, 1000 * (i + 1), 1000 * (i + 1) + 100);
	}
	/* slots are reused too: only the last four messages are still there */
	for (unsigned i = 1; i < 5; i++)
		anatomy_resolved(t[i], 1000 * (i + 1) + 90);
	anatomy_finish(&f->a.mb[1], &f->v);
	assert_int_equal(f->v.matched, 4);
}

static void test_reset(void **state)
{
	struct fixture *f = *state;

	anatomy_reset(&f->a);
	/* the tid table is empty again: messages are not posted */
	assert_null(anatomy_msg(&f->a, f->tid, 7, 1050).mb);
	anatomy_register_vcpu(&f->a, 2);
	assert_ptr_equal(anatomy_msg(&f->a, f->tid, 7, 1050).mb, &f->a.mb[2]);
}

static void test_many_vcpus_tid_table(void **state)
{
	struct anatomy a;

	(void)state;
	assert_int_equal(anatomy_init(&a, 4096), 0);
	assert_true(a.tids.mask + 1 >= 2 * 4096);
	anatomy_register_vcpu(&a, 4095);
	assert_ptr_equal(anatomy_msg(&a, (uint32_t)gettid(), 1, 10).mb, &a.mb[4095]);
	anatomy_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_fill_is_unmatched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_vcpu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resumed_before_the_resolve_returned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_settled_after_the_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_message_does_not_match, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_vcpus_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_four_pending_fifth_pushes_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
		cmocka_unit_test(test_many_vcpus_tid_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
