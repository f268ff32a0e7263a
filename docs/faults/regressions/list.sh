# Regressions: small edits that a change to the robust server (or to
# docs/timeline, docs/client) could slip in, each one a patch here,
# NAME.patch, and each caught by a test. `make faults` proves every one:
# the test passes on the tree, and fails with the patch. One a line: the
# name, the folder and the test (TestX, or TestX/subtest) that catches it,
# and what the edit does, then what a user would see.
REGRESSIONS='
stop-skips-send   step4-server/robust  TestShutdownWindsDownEveryTask/Send,_the_client_never_reads                the end of the grace stops no task waiting on Send: with a client that never reads, the server never exits after Ctrl-C
stop-skips-send   step4-server/robust  TestShutdownGrace                                                          (the same edit, seen from a client blocked on Send when SIGTERM comes)
flush-waits       step4-server/robust  TestStuckStderr                                                            the last flush waits for the writer without a bound: with a stuck output and room in the queue, Ctrl-C hangs
kinds-order       step4-server/robust  TestClientErrorsMostFrequentFirst                                          the summary sorts the kinds of client error the wrong way: the least frequent first
refused-count     step4-server/robust  TestOutOfDescriptors                                                       the count of refused clients never moves: the line "Refused N clients" is gone from the summary
read-before-wait  step4-server/robust  TestShutdownWindsDownEveryTask/Send,_the_client_reads_after_the_signal     a handler no longer checks for shutdown before it waits on Recv: one writing at Ctrl-C sends EOF only after the grace
read-before-wait  step4-server/robust  TestShutdownWhileWriting                                                   (the same edit, seen from a client like nc)
read-after-wake   step4-server/robust  TestShutdownWindsDownEveryTask/Recv,_with_a_message_that_comes_with_the_signal  a handler no longer checks for shutdown when it wakes: a message that comes with Ctrl-C is still echoed
served-early      step4-server/robust  TestSelectLimit                                                            the served count moves before the select-limit check: the summary counts refused clients as served too
closed-send       step4-server/robust  TestBrokenTasksAreStoppedAndOthersGoOn/Send_on_a_descriptor_that_is_not_open  the sweep of closed descriptors skips sendWait: a task waiting on Send of one makes select fail forever
stderr-direct     step4-server/robust  TestStuckStderr                                                            stderr no longer goes through the output queue: with a stuck stderr, one reset stops the server for every client
pause-requeues    step4-server/robust  TestNoSpareDescriptor                                                      out of descriptors with no spare, tcpServer waits on Recv again at once, not on Exit: it spins at full CPU
spare-only        step4-server/robust  TestNoSpareDescriptor                                                      out of descriptors, tcpServer only tries the spare, and never pauses: with none, it spins at full CPU
hint-unspecified  step4-server/robust  TestHintConnectsToLoopback                                                 the startup hint no longer maps :: to loopback: it says "nc :: PORT", which connects nowhere
fold-three        docs/timeline        TestFoldThreeColumns                                                       the timeline folds a repeat only when it stands for more than three columns, not three or more
client-error      docs/client          TestReset                                                                  docs/client ignores the error that ends the copy to stdout: a reset ends it with status 0, and no word
deque-grow        step4-server/robust  TestDequeKeepsOrder                                                        the ready queue, growing while it wraps round, copies its ring from the start, not from its head: tasks run out of turn
stopall-exitwait  step4-server/robust  TestShutdownWindsDownEveryTask/Exit,_again_and_again                       the end of the grace stops the tasks waiting on Exit but keeps them listed: run() never returns
short-pause       step4-server/robust  TestNoSpareDescriptor                                                      out of descriptors with no spare, tcpServer tries again every millisecond, not every 100 ms: 800 accepts a second, and the log says 100 ms
usage-status      step4-server/robust  TestBadCommandLines                                                        a stray argument exits 1, not 2: a script cannot tell a usage error from a server that could not start
'
