import "./errors";
