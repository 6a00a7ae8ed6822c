"""Code that runs in AWS (Lambda), packaged as CDK assets: no CDK imports here."""
