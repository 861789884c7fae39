#include <stdio.h>

int main(void) { return puts("an executable") < 0; }
