// Stands in for the harness until the database engine and the instrumented store are in this tree.
return 0;
