-- replies.lua at a fixed rate: $LOAD_RATE replies per second in all (see paced.lua).
dofile("tests/load/replies.lua")
dofile("tests/load/paced.lua")
