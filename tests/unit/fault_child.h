/* For fault-injection tests that run the code under test in a forked child (the fault is per
 * process, or the child is meant to die): include after <cmocka.h>. */
#ifndef PD_TESTS_UNIT_FAULT_CHILD_H
#define PD_TESTS_UNIT_FAULT_CHILD_H

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>

/* The child pid ended by abort() (a failed flush ends the process so), not by exiting. */
static inline void assert_child_aborted(pid_t pid)
{
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFEXITED(status))
        fail_msg("the child exited with %d instead of aborting", WEXITSTATUS(status));
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
}

#endif
