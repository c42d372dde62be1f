#!/usr/bin/perl
# debhelper sequence file for dh_externally_managed (Build-Depends: dh-sequence-externally-managed)
use strict;
use warnings;
use Debian::Debhelper::Dh_Lib;

insert_after("dh_install", "dh_externally_managed");

1
