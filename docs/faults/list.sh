# The faults that `make fault NAME=...` shows, one a line: its name, the
# step folder and the test (TestX, or TestX/subtest) that catches it, and
# what the fix does that docs/faults/NAME.patch undoes.
FAULTS='
reset          step4-server/robust  TestResetsStayWithTheirClient                                        a reset or error on a connection ends that client, not the server
partial-write  step4-server/robust  TestPartialWrites                                                    a reply that the kernel takes only part of is still written in full
broken-task    step4-server/robust  TestBrokenTasksAreStoppedAndOthersGoOn/panic                         a task that panics or misbehaves is stopped, and the others go on
backlog        step4-server/robust  TestListenBacklog                                                    the backlog is SOMAXCONN, not 5: a burst of clients is served without retries
fd-setsize     step4-server/robust  TestSelectLimit                                                      a connection at or past FD_SETSIZE (1024) is refused, not left to a handler that select cannot watch
server-full    step4-server/robust  TestSelectLimit                                                      a refused client is told why, in one line, before its connection is closed
refusal-log    step4-server/robust  TestOutOfDescriptors                                                 refusals are logged once per episode, and again with their count when accepting resumes
eintr          step4-server/robust  TestSignalsInterruptSelect                                           select interrupted by a signal (EINTR) is retried, not fatal
emfile         step4-server/robust  TestOutOfDescriptorsWithoutSpinning                                  out of descriptors (EMFILE), it does not spin: the client is refused (or accepting pauses), not left in the queue to wake select at once, again and again
spare          step4-server/robust  TestOutOfDescriptors                                                 a descriptor held in reserve lets the server accept a client to refuse it, when it has no other
loopback       step4-server/robust  TestListensOnLoopbackByDefault                                       it listens on loopback (127.0.0.1) unless -addr says otherwise
signal         step4-server/robust  TestShutdown                                                         Ctrl-C or SIGTERM stops the server, which prints a summary and exits 0
graceful       step4-server/robust  TestGracefulShutdown                                                 at Ctrl-C, clients get the replies to what was read, then EOF, not a reset
grace          step4-server/robust  TestShutdownGrace                                                    a client that does not close after its EOF is cut off after a grace of a second
second-signal  step4-server/robust  TestSecondSignal                                                     a second Ctrl-C stops the server at once
stuck-output   step4-server/robust  TestStuckOutput                                                      a stdout or stderr that nobody reads cannot stop the server: its lines are queued, never waited for
dropped-lines  step4-server/robust  TestDroppedLines                                                     the lines that found the queue full are counted, and the summary says how many
sigpipe        step4-server/robust  TestOutputReaderGone                                                 when whoever reads the output goes away (| head -1), the server goes on serving: SIGPIPE is ignored, and the lines nobody reads are counted
quiet          step4-server/robust  TestQuiet                                                            -quiet prints no line per client error; the summary counts them by kind
ebadf          step4-server/robust  TestBrokenTasksAreStoppedAndOthersGoOn/descriptor_that_is_not_open   a task waiting on a closed descriptor (EBADF) is stopped, and the others go on
'

# The faults that the lesson's server in step4-server/ keeps, which
# `make fault NAME=... SERVER=lesson` shows happening: its name, the test in
# step4-server/faults_test.go (build tag faults) that fails on that server,
# a word its failure must say (so that it fails of this fault, not of
# another mistake), and what goes wrong. robust/ fixes each; robust's fault of the same name
# puts the fault back there.
LESSON_FAULTS='
backlog        TestBurstWhileBusy     backlog   a burst of clients overflows a backlog of 5 (listen(5)): the rest wait a second or more
emfile         TestOutOfDescriptors   spins     out of descriptors, accept fails again and again: the server spins, logging
fd-setsize     TestSelectLimit        limit     a client at or past the limit of select (FD_SETSIZE, 1024) is closed without a word
sigpipe        TestOutputReaderGone   broken    when whoever reads the output goes away (| head -1), the next line kills the server
'
