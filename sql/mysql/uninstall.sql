-- Removes the Argus functions (sql/mysql/install.sql) from a MariaDB server:
--   mariadb -u root < sql/mysql/uninstall.sql
-- Drops every function the server has registered for argus_udf.so (mysql.func), whichever
-- version of the library created it, so there is no list here to keep in step with install.sql.
-- Harmless when none is installed; the server unloads the library once all are gone. Needs
-- MariaDB 10.3+ (a compound statement outside a stored program); on MySQL 8 run the DROP lines
-- of install.sql instead: grep '^DROP' sql/mysql/install.sql | mysql -u root

DELIMITER //
BEGIN NOT ATOMIC
  FOR f IN (SELECT name FROM mysql.func WHERE dl = 'argus_udf.so') DO
    EXECUTE IMMEDIATE CONCAT('DROP FUNCTION IF EXISTS `', REPLACE(f.name, '`', '``'), '`');
  END FOR;
END//
DELIMITER ;
