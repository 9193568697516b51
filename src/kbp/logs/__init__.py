"""`kbp dev logs`: a release's logs across its pods, from the cluster's log store or the pods."""
