/* `claimsd token create`: administration from the command line. */
#ifndef CLAIMS_CLI_H
#define CLAIMS_CLI_H

/* Runs `claimsd token ...` (argv[1] is "token"); returns the exit status. */
int server_cli_token(int argc, char **argv);

#endif
