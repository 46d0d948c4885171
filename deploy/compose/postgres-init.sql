-- One database per service, as a partner deploying a single service would have.
CREATE DATABASE w4l_intake;
CREATE DATABASE w4l_training;
CREATE DATABASE w4l_enterprise;
CREATE DATABASE w4l_employment;
CREATE DATABASE w4l_reporting;
