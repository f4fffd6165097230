// ipcgrade's entry point: dispatches to one subcommand (grader/commands/).
#include <cstdio>
int main() { std::puts("ipcgrade: under construction"); return 0; }
