# The exercises, in the order of docs/exercises.md. Each is checked by
# TestExercise/NAME in the step folder that EX starts with (step4-conn in
# step4-server, the other step 4 exercises in step4-server/robust: see
# check.sh), and solved by docs/solutions/EX.patch.
EXERCISES="step1-fib step1-pipeline step2-ids step2-crash step3-sleep step3-pingpong step4-conn step4-poll step4-idle step4-eager step4-epoll"
