"""The X12 transaction sets crossdock exchanges with a 3PL, one module per set, each able to write and read
its set (the hub writes 940/180/997 and reads 945/846/947/944/997; the 3PL sandbox does the opposite)."""
