#!/bin/sh
echo "$GREETING $(cat /app/message.txt) $*"
