# The faults that `make fault NAME=...` shows, one a line: its name, the
# step folder and the test (TestX, or TestX/subtest) that catches it, and
# what the fix does that docs/faults/NAME.patch undoes.
FAULTS='
reset          step4-server  TestResetsStayWithTheirClient                                        a reset or error on a connection ends that client, not the server
partial-write  step4-server  TestPartialWrites                                                    a reply that the kernel takes only part of is still written in full
broken-task    step4-server  TestBrokenTasksAreStoppedAndOthersGoOn/panic                         a task that panics or misbehaves is stopped, and the others go on
backlog        step4-server  TestListenBacklog                                                    the backlog is SOMAXCONN, not 5: a burst of clients is served without retries
fd-setsize     step4-server  TestSelectLimit                                                      a connection at or past FD_SETSIZE (1024) is refused, with a line that says why
eintr          step4-server  TestSignalsInterruptSelect                                           select interrupted by a signal (EINTR) is retried, not fatal
emfile         step4-server  TestOutOfDescriptorsWithoutSpinning                                  out of descriptors (EMFILE), it waits for a connection to close, without spinning
loopback       step4-server  TestListensOnLoopbackByDefault                                       it listens on loopback (127.0.0.1) unless -addr says otherwise
signal         step4-server  TestShutdown                                                         Ctrl-C or SIGTERM closes every connection, prints a summary and exits 0
ebadf          step4-server  TestBrokenTasksAreStoppedAndOthersGoOn/descriptor_that_is_not_open   a task waiting on a closed descriptor (EBADF) is stopped, and the others go on
'
