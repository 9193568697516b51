"""The embedded local stack: the journal topology as real processes under supervisord.

Pure builders turn `StackOptions` into config texts (`programs`, `redisconf`, `nginxconf`); `stack`
writes them under the state directory and drives supervisord. Errors raised here:

    LocalRunError
    ├── BadOptionsError      options that cannot work (port clash, socket path too long)
    ├── MissingBinaryError   redis-server or nginx not on PATH
    ├── PortBusyError        a port is already taken by another program
    ├── NotReadyError        the stack did not become ready before the deadline
    └── NotRunningError      no supervisord answers for this state directory
"""
